"""Benchmarks behind ``make bench`` (``python -m bench``); the figures are explained in docs/performance.md.

Every figure is a ratio against a floor measured in the same run, on the same
machine, so a noisy shared machine moves both sides alike:

* import ratio: a fresh interpreter importing a function's ``app`` module, over
  ``import boto3`` plus a DynamoDB and a KMS client (both minus a bare interpreter);
* AWS calls per request, counted with a botocore ``before-call`` hook under moto,
  next to the budget of the performance guide;
* CPU per warm request: ``time.process_time`` over many handler calls with AWS
  answered by botocore's ``Stubber``, over the same calls made bare with boto3;
* peak RSS after import and one request, over the floor's;
* the size of the built package (``make build``) against Lambda's 250 MB limit.
"""
