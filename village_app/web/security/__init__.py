"""Who may do what: ended sessions, sign-in, roles declared on routes, CSRF, body limits, headers."""
