"""An emulator of EnOS Batch Processing Service v2.1 on aiohttp.web.

models.py holds state and rules (no HTTP); responses.py turns HTTP into calls on it;
faults.py injects failures and throttling; server.py starts and stops it.
"""
