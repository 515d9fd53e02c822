"""`python -m ess_funding`: one pilot's funding service process (settings from ESS_* variables)."""

from ess_funding.bootstrap import service
from ess_shared.service.main import serve

if __name__ == "__main__":
    serve(service)
