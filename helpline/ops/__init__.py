"""Running the assistant: the supervisor of child process groups (supervisor.py), the services it starts (runner.py) and their log files (logfiles.py)."""
