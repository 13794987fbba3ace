"""Resumable jobs: the job folder, its identity checks, and the segments of finished shots."""
