"""The programme's figures as ops see them."""
