"""County mode's pages: villages by township, the review queue, a matter with the county's
checks and the review form, the dashboard. Staff sign in with their CouchDB account."""
