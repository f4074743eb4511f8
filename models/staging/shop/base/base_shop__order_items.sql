-- The raw order_items table as its contract: every contract column, as text.
{{ conform_raw_table('order_items') }}
