"""Crash and restart: the stack's processes killed with SIGKILL, one at a time, under a mixed workload.

``services.py`` starts each part as its own process with the commands a deployment uses (anvil with
periodic state dumps, ``tradeledger api``, ``tradeledger indexer``, ``tradeledger oracle``,
``python -m oracles.customs`` and Mosquitto), ``workload.py`` drives orders to repayment through
the API and publishes signed readings, and ``test_crash_restart.py`` kills and restarts each part
while they run, then checks what reached the chain against what was acknowledged.
"""
