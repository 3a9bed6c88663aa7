"""The Stripe gateway: Stripe's own API behind the port, through the official `stripe` SDK."""
