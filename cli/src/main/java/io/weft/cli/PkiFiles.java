package io.weft.cli;

import io.weft.security.SpiffeId;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The files of {@code meshctl pki}: PEM certificates and unencrypted PKCS#8 keys, each written to a new file
 * created with its permissions (keys rw-------), and the CA of a directory read back. JDK only.
 */
final class PkiFiles {
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");
    /** The URI SAN type in {@link X509Certificate#getSubjectAlternativeNames()}. */
    private static final int SAN_URI = 6;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A refusal or failure to tell the user in one line, without a stack trace. */
    static final class PkiException extends Exception {
        PkiException(String message) {
            super(message);
        }
    }

    private PkiFiles() {
    }

    static String certPem(X509Certificate cert) throws GeneralSecurityException {
        return pem("CERTIFICATE", cert.getEncoded());
    }

    static String crlPem(java.security.cert.X509CRL crl) throws GeneralSecurityException {
        return pem("X509 CRL", crl.getEncoded());
    }

    /** Unencrypted PKCS#8 ({@code BEGIN PRIVATE KEY}), as the JDK's EC keys encode themselves. */
    static String keyPem(PrivateKey key) {
        return pem("PRIVATE KEY", key.getEncoded());
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    /**
     * Writes {@code text} to a new file created with {@code perms} (e.g. {@code rw-------}; the umask may take
     * more away). With {@code replace}, an existing file is replaced atomically by a new one, so a key never
     * lives, even briefly, in a file with an older file's permissions; without, an existing file is an error.
     */
    static void write(Path file, String text, String perms, boolean replace) throws IOException {
        byte[] data = text.getBytes(StandardCharsets.US_ASCII);
        FileAttribute<?>[] attrs = FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(perms))}
                : new FileAttribute<?>[0];
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        if (replace) {
            Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp", attrs);
            try {
                Files.write(tmp, data);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return;
        }
        boolean done = false;
        try (SeekableByteChannel ch = Files.newByteChannel(file,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), attrs)) {
            ByteBuffer buf = ByteBuffer.wrap(data);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            done = true;
        } finally {
            if (!done && Files.exists(file)) {
                Files.deleteIfExists(file);
            }
        }
    }

    /** Loads the CA of {@code dir}: ca.pem, ca-key.pem, and the mesh name from the certificate's spiffe://MESH SAN. */
    static PkiIssuer.Ca loadCa(Path dir) throws PkiException {
        Path certFile = dir.resolve("ca.pem");
        Path keyFile = dir.resolve("ca-key.pem");
        X509Certificate cert;
        try (var in = Files.newInputStream(certFile)) {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new PkiException("cannot read CA certificate " + certFile + ": " + why(e));
        }
        PrivateKey key;
        try {
            byte[] der = pemBody(Files.readString(keyFile, StandardCharsets.ISO_8859_1), "PRIVATE KEY");
            if (der == null) {
                throw new GeneralSecurityException("no -----BEGIN PRIVATE KEY----- block (unencrypted PKCS#8 PEM)");
            }
            key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new PkiException("cannot read CA key " + keyFile + ": " + why(e));
        }
        if (cert.getBasicConstraints() < 0) {
            throw new PkiException(certFile + " is not a CA certificate (basicConstraints CA:false)");
        }
        if (!matches(key, cert.getPublicKey())) {
            throw new PkiException("CA key " + keyFile + " does not belong to the certificate " + certFile);
        }
        return new PkiIssuer.Ca(cert, key, meshOf(cert, certFile));
    }

    /** The mesh a CA certificate records in its {@code spiffe://MESH} URI SAN. */
    private static String meshOf(X509Certificate ca, Path file) throws PkiException {
        try {
            if (ca.getSubjectAlternativeNames() != null) {
                for (List<?> san : ca.getSubjectAlternativeNames()) {
                    if (Integer.valueOf(SAN_URI).equals(san.get(0))
                            && san.get(1) instanceof String s && s.startsWith("spiffe://")) {
                        URI uri = URI.create(s);
                        if (SpiffeId.validName(uri.getHost()) && (uri.getRawPath() == null || uri.getRawPath().isEmpty())) {
                            return uri.getHost();
                        }
                    }
                }
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new PkiException("cannot read the subject alternative names of " + file + ": " + why(e));
        }
        throw new PkiException(file + " records no mesh name (a spiffe://MESH URI SAN, as meshctl pki init writes); "
                + "meshctl pki issues certificates only with a CA it made");
    }

    /** Whether {@code key} is the private half of {@code pub}: signs a challenge and verifies it. */
    private static boolean matches(PrivateKey key, PublicKey pub) {
        try {
            byte[] challenge = new byte[32];
            RANDOM.nextBytes(challenge);
            Signature s = Signature.getInstance(PkiIssuer.SIG_ALG);
            s.initSign(key);
            s.update(challenge);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(PkiIssuer.SIG_ALG);
            v.initVerify(pub);
            v.update(challenge);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** The base64 body of the first {@code type} PEM block of {@code text}, or null. */
    static byte[] pemBody(String text, String type) {
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            if (m.group(1).equals(type)) {
                return Base64.getMimeDecoder().decode(m.group(2));
            }
        }
        return null;
    }

    /** An exception as a short reason: "no such file", "permission denied", or its message. */
    static String why(Exception e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "already exists";
        }
        String m = Cli.message(e);
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
