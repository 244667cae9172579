"""What every service's pages share: web sessions, CSRF, the security headers, sign-in, rendering, problem pages."""
