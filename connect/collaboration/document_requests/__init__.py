"""Document requests ("missing documents"): the accountant asks, the client uploads into them."""
