package dev.keyseat.examples.springgateway;

import dev.keyseat.spring.security.Problems;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Bounds on requests: a body larger than {@code gateway.max-body-bytes} (the API reads none) is a
 * 413 before anything else runs; Tomcat's own refusals (malformed request lines or URLs, headers
 * too large) are answered as JSON problems by {@link JsonErrorReportValve}. Read timeouts are
 * {@code server.tomcat.connection-timeout} (application.properties).
 */
@Configuration(proxyBeanMethods = false)
class RequestLimits {

  @Bean
  FilterRegistrationBean<OncePerRequestFilter> bodyLimit(@Value("${gateway.max-body-bytes:1024}") long maxBody) {
    OncePerRequestFilter filter = new OncePerRequestFilter() {
      @Override
      protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
          throws ServletException, IOException {
        long length = request.getContentLengthLong();
        boolean chunked = request.getHeader("Transfer-Encoding") != null;
        if (length > maxBody || chunked) {
          response.setHeader("Connection", "close");
          Problems.write(response, 413, GatewayErrors.describe(413), null);
          return;
        }
        chain.doFilter(request, response);
      }
    };
    FilterRegistrationBean<OncePerRequestFilter> registration = new FilterRegistrationBean<>(filter);
    registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
    return registration;
  }

  @Bean
  WebServerFactoryCustomizer<TomcatServletWebServerFactory> jsonErrorsFromTomcat() {
    return factory -> factory.addContextCustomizers(context -> {
      if (context.getParent() instanceof StandardHost host) {
        host.setErrorReportValveClass(JsonErrorReportValve.class.getName());
      }
    });
  }

  /** Tomcat's error pages as problem details, without the request's URL or a stack trace. */
  public static final class JsonErrorReportValve extends ErrorReportValve {
    @Override
    protected void report(Request request, Response response, Throwable throwable) {
      int status = response.getStatus();
      if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
        return;
      }
      try {
        response.setContentType(Problems.MEDIA_TYPE);
        response.setCharacterEncoding("UTF-8");
        response.getReporter().write(Problems.json(status, GatewayErrors.describe(status), null));
      } catch (IOException | IllegalStateException e) {
        // the response is gone; nothing to report to
      }
    }
  }

}
