"""The sandbox gateway: an in-process PSP with its own tables, tokenizer, bank page and webhooks."""
