"""Risk control: signals, rules evaluated in the transaction they watch, cases, bans."""
