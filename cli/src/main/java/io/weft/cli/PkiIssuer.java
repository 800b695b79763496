package io.weft.cli;

import io.weft.security.SpiffeId;
import java.math.BigInteger;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;

/**
 * Issues the mesh's certificates for {@code meshctl pki}: a self-signed root and node and user certificates
 * (ECDSA P-256, SHA256withECDSA; {@link PkiFiles} writes them). BouncyCastle builds the certificates; keys
 * and signatures come from the JDK's providers, and BouncyCastle is not installed as a provider.
 */
final class PkiIssuer {
    /** Node and user certificates start this far in the past, for peers whose clocks are behind. */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
    static final String SIG_ALG = "SHA256withECDSA";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern DNS_NAME = Pattern.compile(
            "(\\*\\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

    /** The mesh's root: its certificate, its key and the mesh name it records. */
    record Ca(X509Certificate cert, PrivateKey key, String mesh) {
    }

    private PkiIssuer() {
    }

    static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    /** A new self-signed root for {@code mesh}, valid for 10 years. */
    static Ca newCa(String mesh, Instant now) throws GeneralSecurityException {
        KeyPair kp = newKeyPair();
        X500Name name = cn("Weft mesh " + mesh + " CA");
        Instant notAfter = now.atOffset(ZoneOffset.UTC).plusYears(10).toInstant();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minus(CLOCK_SKEW)),
                Date.from(notAfter), name, kp.getPublic());
        try {
            JcaX509ExtensionUtils u = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, u.createSubjectKeyIdentifier(kp.getPublic()));
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://" + mesh)));
        } catch (CertIOException e) {
            throw new GeneralSecurityException(e);
        }
        return new Ca(sign(b, kp.getPrivate()), kp.getPrivate(), mesh);
    }

    /**
     * A node or user certificate for {@code id}, signed by {@code ca}: its one URI SAN is the id; a node's also
     * names {@code dns} and {@code ips} and may serve and dial TLS, a user's may only dial.
     */
    static X509Certificate issue(Ca ca, PublicKey key, SpiffeId id, List<String> dns, List<String> ips,
            Instant now, int days) throws GeneralSecurityException {
        Instant notAfter = now.plus(Duration.ofDays(days));
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.cert(), serial(),
                Date.from(now.minus(CLOCK_SKEW)), Date.from(notAfter), cn(id.name()), key);
        List<GeneralName> sans = new ArrayList<>();
        sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, id.uri().toString()));
        dns.forEach(d -> sans.add(new GeneralName(GeneralName.dNSName, d)));
        ips.forEach(ip -> sans.add(new GeneralName(GeneralName.iPAddress, ip)));
        KeyPurposeId[] eku = id.isNode()
                ? new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}
                : new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth};
        try {
            JcaX509ExtensionUtils u = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(eku));
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(new GeneralName[0])));
            b.addExtension(Extension.subjectKeyIdentifier, false, u.createSubjectKeyIdentifier(key));
            b.addExtension(Extension.authorityKeyIdentifier, false, u.createAuthorityKeyIdentifier(ca.cert().getPublicKey()));
        } catch (CertIOException e) {
            throw new GeneralSecurityException(e);
        }
        return sign(b, ca.key());
    }

    /**
     * A CRL of {@code ca} listing what {@code previous} listed (null: nothing) and {@code serial}, valid from
     * {@code now} to {@code nextUpdate}, numbered one more than {@code previous}.
     */
    static java.security.cert.X509CRL crl(Ca ca, java.security.cert.X509CRL previous, BigInteger serial, Instant now,
            Instant nextUpdate) throws GeneralSecurityException {
        X500Name issuer = X500Name.getInstance(ca.cert().getSubjectX500Principal().getEncoded());
        org.bouncycastle.cert.X509v2CRLBuilder b = new org.bouncycastle.cert.X509v2CRLBuilder(issuer, Date.from(now));
        b.setNextUpdate(Date.from(nextUpdate));
        BigInteger number = BigInteger.ONE;
        if (previous != null) {
            if (previous.getRevokedCertificates() != null) {
                for (java.security.cert.X509CRLEntry e : previous.getRevokedCertificates()) {
                    b.addCRLEntry(e.getSerialNumber(), e.getRevocationDate(), org.bouncycastle.asn1.x509.CRLReason.unspecified);
                }
            }
            byte[] ext = previous.getExtensionValue(Extension.cRLNumber.getId());
            if (ext != null) {
                number = org.bouncycastle.asn1.x509.CRLNumber.getInstance(
                        org.bouncycastle.asn1.ASN1OctetString.getInstance(ext).getOctets()).getCRLNumber().add(BigInteger.ONE);
            }
        }
        b.addCRLEntry(serial, Date.from(now), org.bouncycastle.asn1.x509.CRLReason.unspecified);
        try {
            b.addExtension(Extension.cRLNumber, false, new org.bouncycastle.asn1.x509.CRLNumber(number));
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca.cert()));
            return new org.bouncycastle.cert.jcajce.JcaX509CRLConverter().getCRL(
                    b.build(new JcaContentSignerBuilder(SIG_ALG).build(ca.key())));
        } catch (CertIOException | OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(SIG_ALG).build(key)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static X500Name cn(String cn) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, cn).build();
    }

    /** A random positive 128-bit serial number. */
    private static BigInteger serial() {
        BigInteger s;
        do {
            s = new BigInteger(128, RANDOM);
        } while (s.signum() == 0);
        return s;
    }

    /** Whether {@code name} may go into a DNS SAN (host names, {@code *.} wildcards). */
    static boolean validDns(String name) {
        return name.length() <= 253 && DNS_NAME.matcher(name).matches();
    }

    /** Whether {@code ip} is an IPv4 or IPv6 address literal (no name lookup). */
    static boolean validIp(String ip) {
        return IPAddress.isValid(ip);
    }
}
