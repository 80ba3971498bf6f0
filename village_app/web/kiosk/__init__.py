"""The kiosk in the village hall (``serve --mode kiosk``): read-only pages over the kiosk's
store of public twins, with no login and no route that writes anything."""
