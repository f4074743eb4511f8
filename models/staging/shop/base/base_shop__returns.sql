-- The raw returns table as its contract: every contract column, as text.
{{ conform_raw_table('returns') }}
