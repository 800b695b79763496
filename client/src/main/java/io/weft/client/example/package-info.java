/** Runnable examples of the Java client. */
package io.weft.client.example;
