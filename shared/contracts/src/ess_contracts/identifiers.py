"""French company identifiers: SIREN (9 digits) and SIRET (14 digits) carry a Luhn key."""

LA_POSTE_SIREN = "356000000"


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def siren_valid(siren: str) -> bool:
    return len(siren) == 9 and luhn_valid(siren)


def siret_valid(siret: str) -> bool:
    """La Poste's establishments share one SIREN and fail Luhn; INSEE keys them by digit sum mod 5."""
    if len(siret) != 14 or not siret.isdigit():
        return False
    if siret.startswith(LA_POSTE_SIREN):
        return sum(int(c) for c in siret) % 5 == 0
    return luhn_valid(siret)
