"""Grading beyond one machine (issue 17, first slice): the job format only. The Celery worker and the
`--broker` senders are not built yet; nothing in the grader uses this package so far."""
