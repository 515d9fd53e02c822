"""Crypto-shredding, the service side: data keys kept by their author (`data_keys`), copies sealed to
each pilot through the key store bucket (`key_store`), and the keyring that opens a sealed text for a
reader (`keyring`). The contracts' half (the sealed type, the ciphers) is `ess_contracts.sealing`."""
