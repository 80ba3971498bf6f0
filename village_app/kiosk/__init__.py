"""The kiosk in the village hall: its store of public twins, filled from the county's public
database (:mod:`.pull`, checked by :mod:`.guard`), read for its pages (:mod:`.reader`)."""
