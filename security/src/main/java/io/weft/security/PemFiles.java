package io.weft.security;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads PEM certificates and PKCS#8 private keys, with errors that name the file and what to do. */
public final class PemFiles {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

    private PemFiles() {
    }

    /** Every certificate in a PEM file, in file order (a chain: leaf first). */
    public static List<X509Certificate> certificates(Path file) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Block b : blocks(file)) {
                if (b.type.equals("CERTIFICATE")) {
                    out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der)));
                }
            }
        } catch (CertificateException e) {
            throw new IOException(file + ": not a valid X.509 certificate: " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new IOException(file + ": no PEM certificate (-----BEGIN CERTIFICATE-----) in it");
        }
        return out;
    }

    /** Every certificate revocation list in a PEM file ({@code -----BEGIN X509 CRL-----}). */
    public static List<java.security.cert.X509CRL> crls(Path file) throws IOException {
        List<java.security.cert.X509CRL> out = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Block b : blocks(file)) {
                if (b.type.equals("X509 CRL")) {
                    out.add((java.security.cert.X509CRL) cf.generateCRL(new ByteArrayInputStream(b.der)));
                }
            }
        } catch (CertificateException | java.security.cert.CRLException e) {
            throw new IOException(file + ": not a valid X.509 CRL: " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new IOException(file + ": no PEM CRL (-----BEGIN X509 CRL-----) in it (openssl crl -outform PEM "
                    + "converts a DER one)");
        }
        return out;
    }

    /** The one private key of a PEM file: unencrypted PKCS#8 (EC, RSA or Ed25519). */
    public static PrivateKey privateKey(Path file) throws IOException {
        for (Block b : blocks(file)) {
            switch (b.type) {
                case "PRIVATE KEY":
                    return pkcs8(file, b.der);
                case "EC PRIVATE KEY":
                case "RSA PRIVATE KEY":
                    throw new IOException(file + ": a " + b.type + " block (the old OpenSSL format); convert it "
                            + "to PKCS#8 with: openssl pkcs8 -topk8 -nocrypt -in " + file + " -out KEY.pem");
                case "ENCRYPTED PRIVATE KEY":
                    throw new IOException(file + ": the key is encrypted; give an unencrypted PKCS#8 key "
                            + "(openssl pkcs8 -topk8 -nocrypt) and protect it with file permissions");
                default:
                    break;
            }
        }
        throw new IOException(file + ": no private key (-----BEGIN PRIVATE KEY-----) in it");
    }

    private static PrivateKey pkcs8(Path file, byte[] der) throws IOException {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String alg : new String[] {"EC", "RSA", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new IOException(file + ": a PKCS#8 key of an unsupported algorithm (EC, RSA or Ed25519 expected)");
    }

    private record Block(String type, byte[] der) {
    }

    private static List<Block> blocks(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new IOException(file + ": not a PEM file (binary content; DER files are not read, "
                    + "convert with openssl x509 -inform der)", e);
        }
        List<Block> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            try {
                out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2))));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": a " + m.group(1) + " block that is not valid base64", e);
            }
        }
        return out;
    }
}
