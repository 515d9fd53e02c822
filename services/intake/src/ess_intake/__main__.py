"""`python -m ess_intake`: one pilot's intake service process (settings from ESS_* variables)."""

from ess_core.service.main import serve
from ess_intake.bootstrap import service

if __name__ == "__main__":
    serve(service)
