"""Grading beyond one machine (issue 17): Celery workers on a Redis broker.

    jobs.py     the job format: folders packed to content-addressed blobs, the result key, the build id
    broker.py   the Redis keys senders and workers share (blobs, replies, result cache, health)
    worker.py   `grader worker`: the Celery app, the task, the worker's health
    client.py   the sender (`grader batch --broker`): upload, send, wait for the reply
"""
