"""Pure rules of evaluation (objective O11): the strategy as data, derived and measured indicators, the
review schedule, the lead-pilot check and the annual report's tables. No I/O here."""
