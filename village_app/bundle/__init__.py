"""USB bundles (issue 11): replication into a signed, encrypted file and out of it, for
villages with no network. :mod:`.keys` (each side's key pairs), :mod:`.container` (the file),
:mod:`.files` (a payload is an embedded store, filled and emptied by replication),
:mod:`.laptop` (export, import the reply), :mod:`.county` (import, write the reply)."""
