package dev.keyseat.examples.springgateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A keep-alive HTTP/1.1 connection that sends exactly the bytes it is given, for requests no
 * well-behaved client sends (malformed request lines, bodies on GET) and for floods cheap on the
 * client side. Reads responses with a Content-Length or chunked.
 */
final class RawHttp implements AutoCloseable {
  private final int port;
  private Socket socket;
  private OutputStream out;
  private InputStream in;

  record Response(int status, Map<String, String> headers, String body) {}

  RawHttp(int port) throws IOException {
    this.port = port;
    connect();
  }

  private void connect() throws IOException {
    socket = new Socket(InetAddress.getLoopbackAddress(), port);
    socket.setTcpNoDelay(true);
    socket.setSoTimeout(20_000);
    out = socket.getOutputStream();
    in = new java.io.BufferedInputStream(socket.getInputStream());
  }

  Response get(String target, String apiKey) throws IOException {
    return send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (apiKey == null ? "" : "X-API-Key: " + apiKey
        + "\r\n") + "\r\n");
  }

  Response send(String request) throws IOException {
    out.write(request.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    Response r = read();
    if ("close".equalsIgnoreCase(r.headers().get("connection"))) { // e.g. Tomcat's max keep-alive requests
      socket.close();
      connect();
    }
    return r;
  }

  private Response read() throws IOException {
    String statusLine = line();
    if (statusLine == null) {
      throw new IOException("connection closed before a response");
    }
    int status = Integer.parseInt(statusLine.split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (String h = line(); h != null && !h.isEmpty(); h = line()) {
      int colon = h.indexOf(':');
      headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if (headers.containsKey("content-length")) {
      body.write(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
    } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      for (int size = Integer.parseInt(line().trim(), 16); size > 0; size = Integer.parseInt(line().trim(), 16)) {
        body.write(in.readNBytes(size));
        line();
      }
      line();
    }
    return new Response(status, headers, body.toString(StandardCharsets.UTF_8));
  }

  private String line() throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int c = in.read(); c != -1; c = in.read()) {
      if (c == '\n') {
        int n = sb.length();
        return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
      }
      sb.append((char) c);
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
