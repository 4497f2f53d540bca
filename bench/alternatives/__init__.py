"""Handlers written the way a Powertools user would reach for first, measured beside ours (bench only).

Each folder holds an ``app.py`` imported exactly like a function's: ``list_resolver``
routes with ``APIGatewayHttpResolver`` instead of ``byoc.http.api_handler``;
``save_datamasking`` seals with the data masking utility and the AWS Encryption
SDK instead of ``byoc.crypto``. Everything else is our code, unchanged.
"""
