"""The mall as clients see it: items, the home screen's cards, redemptions."""
