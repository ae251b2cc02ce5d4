package dev.keyseat.spring.security;

import dev.keyseat.Actor;
import org.jspecify.annotations.Nullable;
import org.springframework.core.MethodParameter;
import org.springframework.web.bind.support.WebDataBinderFactory;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.method.support.ModelAndViewContainer;

/** Resolves a controller's {@link Actor} parameter to the signed-in user's actor. */
final class ActorArgumentResolver implements HandlerMethodArgumentResolver {
  private final KeyseatActors actors;

  ActorArgumentResolver(KeyseatActors actors) {
    this.actors = actors;
  }

  @Override
  public boolean supportsParameter(MethodParameter parameter) {
    return parameter.getParameterType() == Actor.class;
  }

  @Override
  public Object resolveArgument(MethodParameter parameter, @Nullable ModelAndViewContainer mav,
      NativeWebRequest request, @Nullable WebDataBinderFactory binders) {
    return actors.current();
  }
}
