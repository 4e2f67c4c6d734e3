"""x_api"""
