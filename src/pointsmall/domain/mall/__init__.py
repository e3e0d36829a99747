"""The mall: catalogue, redemptions and their life, quotes, flash-sale gate, home cards."""
