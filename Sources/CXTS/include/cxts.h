/*
 * cxts: a small C shim over OpenSSL's EVP_aes_256_xts so Swift never handles key bytes.
 * Implemented by the BlockCrypto helper; see Sources/BlockCrypto/XTSAES256.swift.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
