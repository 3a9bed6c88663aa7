"""The provider's side: staff members and their sign-in, and the audit trail of what they do."""
