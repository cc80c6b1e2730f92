"""One module per REST namespace; each endpoint a typed signature over one table row."""
