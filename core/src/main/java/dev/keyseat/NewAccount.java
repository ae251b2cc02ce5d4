package dev.keyseat;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/**
 * Command: the operator creates an account with its first administrator.
 *
 * @param name display name, 1–200 characters
 * @param firstAdmin the user who becomes the account's first {@link Role#ADMIN}
 * @param licenses licenses contracted from the start, zero or more
 */
public record NewAccount(
    @NotBlank @Size(max = 200) @Pattern(regexp = Constraints.NO_KEY, message = Constraints.NO_KEY_MESSAGE) String name,
    @NotNull UserId firstAdmin,
    @PositiveOrZero int licenses) {}
