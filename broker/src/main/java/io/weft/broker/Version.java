package io.weft.broker;

import picocli.CommandLine.IVersionProvider;

/** The software version, from the jar manifest (or "dev" when run from classes). */
public final class Version implements IVersionProvider {
    public static String get() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"meshd " + get()};
    }
}
