"""County mode: the registry, provisioning the county CouchDB, the indexer and its pages."""
