from app.platform.migrations import run_env

run_env("catalog")
