"""Payment gateways: the port Onramp speaks (`port.py`) and one package per gateway."""
