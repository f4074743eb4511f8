-- The raw customers table as its contract: every contract column, as text.
{{ conform_raw_table('customers') }}
