-- The raw orders table as its contract: every contract column, as text.
{{ conform_raw_table('orders') }}
