"""The field laptop's sync with the county: settings kept once, 立即同步 in the background
with its progress, automatic sync, the header's state, the sync log (issue 11)."""
