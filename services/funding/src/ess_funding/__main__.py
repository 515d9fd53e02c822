"""`python -m ess_funding`: one pilot's funding service process (settings from ESS_* variables)."""

from ess_core.service.main import serve
from ess_funding.bootstrap import service

if __name__ == "__main__":
    serve(service)
