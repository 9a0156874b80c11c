"""What the API and the workers share at run time: the job ledger, blob storage, the Celery app
and the sweeper that re-queues lost jobs."""
