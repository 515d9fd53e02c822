"""`python -m ess_evaluation`: one pilot's evaluation service process (settings from ESS_* variables)."""

from ess_evaluation.bootstrap import service
from ess_shared.service.main import serve

if __name__ == "__main__":
    serve(service)
