"""`python -m ess_evaluation`: one pilot's evaluation service process (settings from ESS_* variables)."""

from ess_core.service.main import serve
from ess_evaluation.bootstrap import service

if __name__ == "__main__":
    serve(service)
