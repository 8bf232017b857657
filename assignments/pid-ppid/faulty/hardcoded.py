"""Faulty: made-up PIDs copied from a run on the student's laptop; no process is created."""

print("parent pid=4120", flush=True)
print("child pid=4121 ppid=4120", flush=True)
print("child pid=4122 ppid=4120", flush=True)
print("child pid=4123 ppid=4120", flush=True)
