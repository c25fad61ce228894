//! Errors of invalid loss configurations.

/// A loss configuration with a value out of its range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LossConfigError {
    /// The CE weight α is outside `[0, 1]` or not a number.
    #[error("alpha must be in [0, 1], got {0}")]
    Alpha(f64),
    /// The normalisation epsilon is negative or not finite.
    #[error("eps must be finite and >= 0, got {0}")]
    Eps(f64),
    /// The weight of the masked penalty is negative or not finite.
    #[error("lambda must be finite and >= 0, got {0}")]
    Lambda(f64),
}

/// `lambda` if it is a usable weight (finite, `>= 0`), else [`LossConfigError::Lambda`].
pub(crate) fn check_lambda(lambda: f64) -> Result<f64, LossConfigError> {
    if lambda.is_finite() && lambda >= 0.0 {
        Ok(lambda)
    } else {
        Err(LossConfigError::Lambda(lambda))
    }
}

/// `eps` if it is a usable epsilon (finite, `>= 0`), else [`LossConfigError::Eps`].
pub(crate) fn check_eps(eps: f64) -> Result<f64, LossConfigError> {
    if eps.is_finite() && eps >= 0.0 {
        Ok(eps)
    } else {
        Err(LossConfigError::Eps(eps))
    }
}
