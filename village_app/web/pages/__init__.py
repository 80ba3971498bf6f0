"""The pages: one module per page family; each handler parses, calls the store or the domain, renders."""
