package dev.keyseat.spring.web;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What an endpoint does, in words for an administrator ("create API keys"), so that a refusal
 * says what was refused: "Your role in this account does not allow you to create API keys."
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@interface Attempt {
  /** @return what the endpoint does, completing "you may not …" */
  String value();
}
